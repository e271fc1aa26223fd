/** Identifiers, permissions and decisions shared by every DSI bundle. */
@org.osgi.annotation.versioning.Version("1.0.0")
package org.opendsi.api;
