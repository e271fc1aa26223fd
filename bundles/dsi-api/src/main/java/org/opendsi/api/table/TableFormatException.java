package org.opendsi.api.table;

/** A compiled table whose bytes do not follow TABLE-FORMAT.md; names the offending offset. */
public class TableFormatException extends IllegalArgumentException {
    private final int offset;

    public TableFormatException(int offset, String message) {
        super("compiled table, offset " + offset + ": " + message);
        this.offset = offset;
    }

    public int offset() {
        return offset;
    }
}
