/** The compiled decision-table format shared by the policy compiler and the kernel DSM. */
@org.osgi.annotation.versioning.Version("1.0.0")
package org.opendsi.api.table;
