/**
 * Secure Communication Channel (SCC): the transport-neutral API between the Security Server (hub)
 * and the Security Managers (spokes). Publish/subscribe on topics, request/reply, three priorities
 * (ALARM before CONTROL before BULK), mutual authentication with cluster certificates.
 * Obtain a {@link org.opendsi.scc.SccTransport} as an OSGi service, or with
 * {@link org.opendsi.scc.SccTransport#newTransport()} outside OSGi.
 */
@org.osgi.annotation.versioning.Version("1.1.0")
package org.opendsi.scc;
