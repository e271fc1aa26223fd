/**
 * The kernel DSM as seen from Java: the {@link org.opendsi.dsm.Dsm} service (one per node), its
 * status, counters, audit events ({@link org.opendsi.dsm.DsmEventListener} whiteboard) and the
 * exceptions that carry libdsm's explanation or the reason the DSM is unavailable.
 */
@org.osgi.annotation.versioning.Version("1.0.0")
package org.opendsi.dsm;
