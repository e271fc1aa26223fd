package org.opendsi.ss;

import java.time.Instant;

/**
 * The shared store as the Security Server sees it.
 *
 * @param kind          {@code file} or {@code postgresql}
 * @param location      a directory or a JDBC URL without credentials
 * @param reachable     the last round trip succeeded
 * @param schemaVersion the newest migration applied ("" for the file store)
 * @param lastCheck     when that round trip was made
 * @param error         why the last round trip failed, null when it did not
 */
public record StoreHealth(String kind, String location, boolean reachable, String schemaVersion, Instant lastCheck,
                          String error) {
}
