package org.opendsi.keys.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.KeyStoreProvider;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.Pkcs12KeyStoreProvider;
import org.opendsi.keys.PkiException;
import org.opendsi.keys.PkiSettings;
import org.opendsi.keys.ProcessCredentials;

class KeyManagementComponentTest {

    @TempDir
    Path tmp;

    @Test
    void configurationDrivesTheNodeKeys() {
        KeyManagementComponent c = new KeyManagementComponent();
        c.configure(Map.of("dir", tmp.resolve("keys").toString(), "cluster", "c1", "process.ttl.minutes", "5",
                "node.validity.days", "30"));
        assertFalse(c.isJoined());
        assertTrue(c.nodeCredentials().isEmpty());
        assertEquals("c1", c.cluster());

        ClusterCa ca = new ClusterCa(PkiSettings.of(tmp.resolve("ss"), "c1").withNodeValidity(Duration.ofDays(30)));
        NodeKeys keys = c.nodeKeys();
        keys.install(ca.join(ca.joinTokens().create(Duration.ofMinutes(1), 3, "colby", false), keys.prepareJoin("colby"), 3),
                ca.rootFingerprint());
        assertTrue(c.isJoined());
        ProcessCredentials pc = c.issueProcessCredentials(10, null);
        X509Certificate leaf = pc.chain().get(0);
        long minutes = Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()).toMinutes();
        assertEquals(6, minutes, "5 min TTL + 1 min backdating");
        assertEquals(3, c.renewalStatus().size());
        assertEquals(2, c.crls().size());
        assertEquals("spiffe://c1/node/3", c.nodeCredentials().orElseThrow().id().uri());
    }

    @Test
    void theClusterRootCaIsBuiltFromTheKeyManagementConfiguration() throws Exception {
        KeyManagementComponent c = new KeyManagementComponent();
        c.configure(Map.of("dir", tmp.resolve("keys").toString(), "cluster", "c2", "key.algorithm", "rsa-3072",
                "ca.validity.days", "400", "node.validity.days", "20", "crl.validity.days", "2"));
        ClusterCa ca = c.openClusterCa(tmp.resolve("ss-keys"));
        X509Certificate root = ca.rootCertificate();
        assertEquals("RSA", root.getPublicKey().getAlgorithm(), "key.algorithm reaches the root CA");
        long days = Duration.between(root.getNotBefore().toInstant(), root.getNotAfter().toInstant()).toDays();
        assertTrue(days >= 400 && days <= 401, "ca.validity.days reaches the root CA: " + days);
        assertEquals("c2", ca.cluster());
        long crlDays = Duration.between(ca.crl().getThisUpdate().toInstant(), ca.crl().getNextUpdate().toInstant()).toDays();
        assertTrue(crlDays <= 2, "crl.validity.days: " + crlDays);
        assertTrue(java.nio.file.Files.isDirectory(tmp.resolve("ss-keys/ca")), "kept in the folder the caller names");
        NodeKeys keys = c.nodeKeys();
        keys.install(ca.join(ca.joinTokens().create(Duration.ofMinutes(1), 3, "", false), keys.prepareJoin("n3"), 3),
                ca.rootFingerprint());
        X509Certificate channel = keys.channelCertificate();
        long nodeDays = Duration.between(channel.getNotBefore().toInstant(), channel.getNotAfter().toInstant()).toDays();
        assertTrue(nodeDays <= 21, "node.validity.days reaches what the CA issues: " + nodeDays);
    }

    @Test
    void aNamedKeystoreProviderIsWaitedFor() {
        KeyManagementComponent c = new KeyManagementComponent();
        c.configure(Map.of("dir", tmp.toString(), "keystore.type", "pkcs11"));
        PkiException e = assertThrows(PkiException.class, c::nodeKeys);
        assertTrue(e.getMessage().contains("pkcs11"), e.getMessage());
        assertFalse(c.isJoined());
        KeyStoreProvider hsm = new Pkcs12KeyStoreProvider(tmp.resolve("hsm.p12"), "x".toCharArray());
        Map<String, Object> props = Map.of(KeyStoreProvider.TYPE_PROPERTY, "pkcs11");
        c.addKeyStoreProvider(hsm, props);
        c.nodeKeys().prepareJoin("colby");
        assertEquals(2, hsm.aliases().size(), "keys generated in the plugged-in provider");
        c.removeKeyStoreProvider(hsm, props);
        assertThrows(PkiException.class, c::nodeKeys);
    }

    @Test
    void badConfigurationIsReported() {
        KeyManagementComponent c = new KeyManagementComponent();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.configure(Map.of("dir", tmp.toString(), "ca.validity.days", "-1")));
        assertTrue(e.getMessage().contains("ca.validity.days"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.configure(Map.of("dir", tmp.toString(), "cluster", "Bad Name")));
    }
}
