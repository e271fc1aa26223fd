/**
 * The authentication security service: short-lived process certificates issued by the node CA to
 * the processes of this node's security contexts.
 */
@org.osgi.annotation.versioning.Version("1.0.0")
package org.opendsi.api.auth;
