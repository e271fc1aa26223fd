package org.opendsi.keys;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;

/** What the Security Server returns to a joining node. */
public record NodeCertificates(int snid, String nodeName, X509Certificate nodeCa, X509Certificate channel,
        X509Certificate root, X509CRL crl) {
}
