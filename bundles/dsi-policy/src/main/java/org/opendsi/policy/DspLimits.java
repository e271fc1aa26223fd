package org.opendsi.policy;

/**
 * Bounds the parser enforces on untrusted DSP input. Exceeding one is a located error.
 *
 * @param maxBytes      largest accepted file, in bytes (default 8 MiB)
 * @param maxDepth      deepest element nesting (the language needs 3; default 16)
 * @param maxAttributes most attributes on one element (the language needs 6; default 16)
 * @param maxElements   most elements in one document (default 2,000,000)
 * @param maxErrors     errors collected before giving up (default 200)
 */
public record DspLimits(long maxBytes, int maxDepth, int maxAttributes, int maxElements, int maxErrors) {

    public static final long DEFAULT_MAX_BYTES = 8L * 1024 * 1024;

    public DspLimits {
        if (maxBytes < 1 || maxBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("maxBytes must be in 1.." + (Integer.MAX_VALUE - 16));
        }
        if (maxDepth < 3 || maxAttributes < 6 || maxElements < 1 || maxErrors < 1) {
            throw new IllegalArgumentException("limits too small for the DSP language: " + maxDepth + "/"
                    + maxAttributes + "/" + maxElements + "/" + maxErrors);
        }
    }

    public static DspLimits defaults() {
        return new DspLimits(DEFAULT_MAX_BYTES, 16, 16, 2_000_000, 200);
    }

    public DspLimits withMaxBytes(long bytes) {
        return new DspLimits(bytes, maxDepth, maxAttributes, maxElements, maxErrors);
    }
}
