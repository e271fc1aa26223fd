/** Alarms raised on nodes and collected by the Security Server. */
@org.osgi.annotation.versioning.Version("1.0.0")
package org.opendsi.api.alarm;
