/** The access control service SPI: decisions, the table in force, the context of a socket's peer. */
@org.osgi.annotation.versioning.Version("1.0.0")
package org.opendsi.api.access;
