package org.opendsi.keys;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/** PEM text for certificates, CRLs and CSRs: what goes to disk and, if the SCC wants text, on the wire. */
public final class Pem {

    private Pem() {
    }

    public static String encode(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    public static String certificates(Collection<X509Certificate> certs) {
        StringBuilder sb = new StringBuilder();
        try {
            for (X509Certificate c : certs) {
                sb.append(encode("CERTIFICATE", c.getEncoded()));
            }
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot encode certificate: " + e.getMessage(), e);
        }
        return sb.toString();
    }

    public static String crl(X509CRL crl) {
        try {
            return encode("X509 CRL", crl.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot encode CRL: " + e.getMessage(), e);
        }
    }

    public static String csr(byte[] der) {
        return encode("CERTIFICATE REQUEST", der);
    }

    /** All blocks of {@code type} in {@code pem}, decoded. */
    public static List<byte[]> decode(String type, String pem) {
        List<byte[]> out = new ArrayList<>();
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int i = 0;
        while ((i = pem.indexOf(begin, i)) >= 0) {
            int j = pem.indexOf(end, i);
            if (j < 0) {
                throw new PkiException("unterminated PEM block " + type);
            }
            out.add(Base64.getMimeDecoder().decode(pem.substring(i + begin.length(), j)));
            i = j + end.length();
        }
        return out;
    }

    public static List<X509Certificate> parseCertificates(String pem) {
        List<X509Certificate> out = new ArrayList<>();
        for (byte[] der : decode("CERTIFICATE", pem)) {
            out.add(certificate(der));
        }
        return out;
    }

    public static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new PkiException("not an X.509 certificate: " + e.getMessage(), e);
        }
    }

    public static X509CRL parseCrl(String pem) {
        List<byte[]> der = decode("X509 CRL", pem);
        if (der.size() != 1) {
            throw new PkiException("expected one X509 CRL block, found " + der.size());
        }
        return crl(der.get(0));
    }

    public static X509CRL crl(byte[] der) {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new PkiException("not an X.509 CRL: " + e.getMessage(), e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
