/** The Security Manager's API: {@link org.opendsi.sm.SecurityManagerService}, registered on nodes in role {@code manager}. */
@org.osgi.annotation.versioning.Version("2.1.0")
package org.opendsi.sm;
