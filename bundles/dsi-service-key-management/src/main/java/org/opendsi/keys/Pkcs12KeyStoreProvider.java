package org.opendsi.keys;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

import org.opendsi.keys.internal.Pki;

/**
 * The default {@link KeyStoreProvider}: one PKCS#12 file (JDK format: keys protected with
 * PBEWithHmacSHA256AndAES_256, MAC HmacSHA256), created 600 inside a 700 directory, rewritten
 * atomically on every change. The password comes from the caller: configuration, or a generated
 * secret file (see {@link #openWithSecretFile}).
 */
public final class Pkcs12KeyStoreProvider implements KeyStoreProvider {

    private final Path file;
    private final char[] password;
    private final KeyStore store;

    /** Opens {@code file} (or prepares to create it on the first write) with {@code password}. */
    public Pkcs12KeyStoreProvider(Path file, char[] password) {
        this.file = file;
        this.password = password.clone();
        try {
            SecureFiles.ensureDirectory(file.toAbsolutePath().getParent());
            store = KeyStore.getInstance("PKCS12");
            if (Files.exists(file)) {
                byte[] data = Files.readAllBytes(file);
                try {
                    store.load(new ByteArrayInputStream(data), this.password);
                } catch (IOException e) {
                    throw new PkiException("cannot open keystore " + file + ": wrong password or corrupted file ("
                            + e.getMessage() + ")", e);
                }
            } else {
                store.load(null, null);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read keystore " + file, e);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot open keystore " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens {@code file} with the password in {@code secretFile}, generating that secret (256 bits,
     * mode 600) when it does not exist yet.
     */
    public static Pkcs12KeyStoreProvider openWithSecretFile(Path file, Path secretFile) {
        try {
            return new Pkcs12KeyStoreProvider(file, SecureFiles.loadOrCreateSecret(secretFile));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the keystore secret " + secretFile, e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public String type() {
        return PKCS12;
    }

    @Override
    public synchronized KeyPair generateKeyPair(String alias, KeyAlgorithm algorithm) {
        if (contains(alias)) {
            throw new PkiException("keystore " + file + " already holds a key under '" + alias + "'");
        }
        KeyPair kp = Pki.generateKeyPair(algorithm);
        // PKCS#12 stores a private key only with a chain: a self-signed placeholder until the real one arrives
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509Certificate placeholder = Pki.issue(Pki.Profile.PROCESS, new X500Principal("CN=pending " + alias),
                kp.getPublic(), null, kp.getPrivate(), now, now.plus(1, ChronoUnit.DAYS), List.of(), List.of(), List.of());
        setEntry(alias, kp.getPrivate(), List.of(placeholder));
        return kp;
    }

    @Override
    public synchronized void setCertificateChain(String alias, List<X509Certificate> chain) {
        PrivateKey key = privateKey(alias).orElseThrow(
                () -> new PkiException("keystore " + file + " holds no key under '" + alias + "'"));
        List<X509Certificate> current = certificateChain(alias);
        if (chain.isEmpty() || current.isEmpty()
                || !Arrays.equals(chain.get(0).getPublicKey().getEncoded(), current.get(0).getPublicKey().getEncoded())) {
            throw new PkiException("the certificate for '" + alias + "' does not match the key held under that alias");
        }
        setEntry(alias, key, chain);
    }

    private void setEntry(String alias, PrivateKey key, List<X509Certificate> chain) {
        try {
            store.setKeyEntry(alias, key, password, chain.toArray(new Certificate[0]));
            save();
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot store key '" + alias + "' in " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<PrivateKey> privateKey(String alias) {
        try {
            Key k = store.getKey(alias, password);
            return k instanceof PrivateKey ? Optional.of((PrivateKey) k) : Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot read key '" + alias + "' from " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<X509Certificate> certificateChain(String alias) {
        try {
            Certificate[] c = store.getCertificateChain(alias);
            if (c == null) {
                return List.of();
            }
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate x : c) {
                out.add((X509Certificate) x);
            }
            return Collections.unmodifiableList(out);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot read '" + alias + "' from " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized boolean contains(String alias) {
        try {
            return store.containsAlias(alias);
        } catch (GeneralSecurityException e) {
            throw new PkiException(e.getMessage(), e);
        }
    }

    @Override
    public synchronized void delete(String alias) {
        try {
            if (store.containsAlias(alias)) {
                store.deleteEntry(alias);
                save();
            }
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot delete '" + alias + "' from " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Set<String> aliases() {
        try {
            return Collections.unmodifiableSet(new LinkedHashSet<>(Collections.list(store.aliases())));
        } catch (GeneralSecurityException e) {
            throw new PkiException(e.getMessage(), e);
        }
    }

    private void save() throws GeneralSecurityException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, password);
            SecureFiles.writeAtomic(file, out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write keystore " + file, e);
        }
    }

    @Override
    public String toString() {
        return "PKCS#12 " + file;
    }
}
