package org.opendsi.api.policy;

/**
 * One difference between two policies' compiled tables.
 *
 * @param kind   ADDED, REMOVED or CHANGED
 * @param table  which table ("access", "socket-label", "transition", "context", "node", "net", "default")
 * @param key    the entry's key, e.g. "10@*->20"
 * @param before the old value (empty when added)
 * @param after  the new value (empty when removed)
 */
public record PolicyChange(Kind kind, String table, String key, String before, String after) {
    public enum Kind { ADDED, REMOVED, CHANGED }
}
