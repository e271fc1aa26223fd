/** The policy service SPI: validation, current policy, history, decisions. */
@org.osgi.annotation.versioning.Version("1.1.0")
package org.opendsi.api.policy;
