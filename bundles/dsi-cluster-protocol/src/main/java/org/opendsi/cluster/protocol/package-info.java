/**
 * The cluster protocol between the Security Server and the Security Managers: node configuration
 * (PID {@code org.opendsi.node}), SCC topics, the signed policy envelope and its verification, join
 * tokens and the join exchange. Shared by both bundles so the two sides cannot drift apart.
 */
@org.osgi.annotation.versioning.Version("1.2.0")
package org.opendsi.cluster.protocol;
