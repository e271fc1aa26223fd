/**
 * The Security Server's API: the {@link org.opendsi.ss.SecurityServer} service (registered on nodes
 * in role {@code server} or {@code embedded}), its records, and the {@link org.opendsi.ss.ServerStore}
 * behind which its state is persisted.
 */
@org.osgi.annotation.versioning.Version("1.3.0")
package org.opendsi.ss;
