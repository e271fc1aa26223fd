package org.opendsi.shell.internal;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;

/**
 * RSA keys in the two forms Karaf's SSH login uses: the public key blob of {@code etc/keys.properties}
 * (the base64 field of an OpenSSH {@code authorized_keys} line) and an unencrypted OpenSSH private
 * key file, which {@code bin/client -k} and {@code ssh -i} read without extra providers. RSA because
 * Karaf's public-key login module accepts RSA keys (not ECDSA ones).
 */
final class OpenSshKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private OpenSshKeys() {
    }

    static KeyPair newRsaKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(3072, RANDOM);
            return g.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("RSA is missing from this JVM", e);
        }
    }

    /** The {@code ssh-rsa} public key blob, base64 (RFC 4253 section 6.6). */
    static String publicBlob(RSAPublicKey key) {
        return Base64.getEncoder().encodeToString(rsaPublicBlob(key));
    }

    /** An unencrypted {@code openssh-key-v1} private key file (PROTOCOL.key of OpenSSH). */
    static String privateKeyFile(KeyPair pair, String comment) {
        RSAPrivateCrtKey k = (RSAPrivateCrtKey) pair.getPrivate();
        RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
        Buf priv = new Buf();
        int check = RANDOM.nextInt();
        priv.u32(check).u32(check).string("ssh-rsa").mpint(k.getModulus()).mpint(pub.getPublicExponent())
                .mpint(k.getPrivateExponent()).mpint(k.getCrtCoefficient()).mpint(k.getPrimeP()).mpint(k.getPrimeQ())
                .string(comment);
        for (int pad = 1; priv.size() % 8 != 0; pad++) {
            priv.out.write(pad);
        }
        Buf file = new Buf();
        file.out.writeBytes("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII));
        file.string("none").string("none").string(new byte[0]).u32(1).string(rsaPublicBlob(pub))
                .string(priv.out.toByteArray());
        String b64 = Base64.getEncoder().encodeToString(file.out.toByteArray());
        StringBuilder pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        for (int i = 0; i < b64.length(); i += 70) {
            pem.append(b64, i, Math.min(b64.length(), i + 70)).append('\n');
        }
        return pem.append("-----END OPENSSH PRIVATE KEY-----\n").toString();
    }

    private static byte[] rsaPublicBlob(RSAPublicKey key) {
        return new Buf().string("ssh-rsa").mpint(key.getPublicExponent()).mpint(key.getModulus()).out.toByteArray();
    }

    /** SSH wire encoding: uint32, string, mpint (RFC 4251 section 5). */
    private static final class Buf {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Buf u32(int v) {
            out.write(v >>> 24);
            out.write(v >>> 16);
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        Buf string(byte[] b) {
            u32(b.length);
            out.writeBytes(b);
            return this;
        }

        Buf string(String s) {
            return string(s.getBytes(StandardCharsets.UTF_8));
        }

        Buf mpint(BigInteger v) {
            return string(v.toByteArray()); // two's complement, big-endian, minimal: as the RFC wants
        }

        int size() {
            return out.size();
        }
    }
}
