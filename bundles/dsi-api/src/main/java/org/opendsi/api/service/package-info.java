/** The security services' presence announcement: service property names and type names. */
@org.osgi.annotation.versioning.Version("1.0.0")
package org.opendsi.api.service;
