package org.opendsi.dsm.internal.jna;

import com.sun.jna.IntegerType;
import com.sun.jna.Native;

/** C size_t. */
public final class SizeT extends IntegerType {
    private static final long serialVersionUID = 1L;

    public SizeT() {
        this(0);
    }

    public SizeT(long value) {
        super(Native.SIZE_T_SIZE, value, true);
    }
}
