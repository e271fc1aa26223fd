/**
 * The auditing security service's SPI: audit records (hash-chained journal entries), queries and
 * the {@link org.opendsi.api.audit.AuditService} that other services and the shell use.
 */
@org.osgi.annotation.versioning.Version("1.1.0")
package org.opendsi.api.audit;
