package org.opendsi.api.policy;

/** One problem found in a DSP file, located by file, line and column (1-based; 0 when unknown). */
public record PolicyError(String file, int line, int column, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + message;
    }
}
