package org.opendsi.keys.internal;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.opendsi.keys.CertificateStatus;
import org.opendsi.keys.CaStateStore;
import org.opendsi.keys.ClusterCa;
import org.opendsi.keys.Credentials;
import org.opendsi.keys.KeyAlgorithm;
import org.opendsi.keys.KeyManagementService;
import org.opendsi.keys.KeyStoreProvider;
import org.opendsi.keys.NodeKeys;
import org.opendsi.keys.PkiException;
import org.opendsi.keys.PkiSettings;
import org.opendsi.keys.ProcessCredentials;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers this node's {@link KeyManagementService} (configuration PID {@code org.opendsi.keys}):
 * <ul>
 * <li>{@code dir} (default {@code ${karaf.data}/dsi/keys}), {@code cluster} (default {@code dsi});</li>
 * <li>{@code ca.validity.days} (3650), {@code node.validity.days} (90), {@code process.ttl.minutes} (60),
 * {@code crl.validity.days} (7), {@code key.algorithm} ({@code ec-p256} or {@code rsa-3072});</li>
 * <li>{@code keystore.password} (default: generated secret file), {@code keystore.type} ({@code pkcs12},
 * or the {@code dsi.keystore.type} of a {@link KeyStoreProvider} service, e.g. {@code pkcs11}).</li>
 * </ul>
 */
@Component(service = KeyManagementService.class, configurationPid = KeyManagementComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true,
        property = {"dsi.service.type=" + KeyManagementService.SERVICE_TYPE,
                "dsi.service.version=" + KeyManagementService.SERVICE_VERSION})
public class KeyManagementComponent implements KeyManagementService {

    public static final String PID = "org.opendsi.keys";
    private static final Logger LOG = LoggerFactory.getLogger(KeyManagementComponent.class);

    private final List<KeyStoreProvider> providers = new CopyOnWriteArrayList<>();
    private final List<Map<String, Object>> providerProps = new CopyOnWriteArrayList<>();
    private volatile NodeKeys keys;
    private volatile PkiSettings settings;
    private volatile KeyStoreProvider provider;
    private volatile String configuredType = KeyStoreProvider.PKCS12;
    private volatile Map<String, Object> config = Map.of();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addKeyStoreProvider(KeyStoreProvider p, Map<String, Object> props) {
        providers.add(p);
        providerProps.add(props);
        if (keys == null && matches(props) && !config.isEmpty()) {
            configure(config);
        }
    }

    void removeKeyStoreProvider(KeyStoreProvider p, Map<String, Object> props) {
        int i = providers.indexOf(p);
        if (i >= 0) {
            providers.remove(i);
            providerProps.remove(i);
        }
        if (matches(props) && !KeyStoreProvider.PKCS12.equals(configuredType)) {
            LOG.warn("Keystore provider '{}' went away: key management unavailable until it returns", configuredType);
            keys = null;
        }
    }

    private boolean matches(Map<String, Object> props) {
        return configuredType.equals(String.valueOf(props.get(KeyStoreProvider.TYPE_PROPERTY)));
    }

    @Activate
    @Modified
    void configure(Map<String, Object> props) {
        this.config = Map.copyOf(props);
        configuredType = str(props, "keystore.type", KeyStoreProvider.PKCS12);
        String dataDir = System.getProperty("karaf.data", "data");
        Path dir = Paths.get(str(props, "dir", dataDir + "/dsi/keys").replace("${karaf.data}", dataDir));
        PkiSettings s = PkiSettings.of(dir, str(props, "cluster", "dsi"))
                .withCaValidity(Duration.ofDays(num(props, "ca.validity.days", 3650)))
                .withNodeValidity(Duration.ofDays(num(props, "node.validity.days", 90)))
                .withProcessTtl(Duration.ofMinutes(num(props, "process.ttl.minutes", 60)))
                .withCrlValidity(Duration.ofDays(num(props, "crl.validity.days", 7)))
                .withKeyAlgorithm(KeyAlgorithm.parse(str(props, "key.algorithm", "ec-p256")));
        String pw = str(props, "keystore.password", "");
        if (!pw.isEmpty()) {
            s = s.withPassword(pw.toCharArray());
        }
        KeyStoreProvider provider = null;
        if (!KeyStoreProvider.PKCS12.equals(configuredType)) {
            for (int i = 0; i < providers.size(); i++) {
                if (matches(providerProps.get(i))) {
                    provider = providers.get(i);
                }
            }
            if (provider == null) {
                LOG.warn("Keystore provider '{}' is not registered yet: key management waits for it", configuredType);
                keys = null;
                return;
            }
        }
        keys = new NodeKeys(s, provider);
        settings = s;
        this.provider = provider;
        LOG.info("Key management for cluster '{}' in {} ({}; joined: {})", s.cluster(), dir, configuredType, keys.isJoined());
    }

    private static String str(Map<String, Object> p, String k, String def) {
        Object v = p.get(k);
        return v == null || v.toString().isBlank() ? def : v.toString().trim();
    }

    private static long num(Map<String, Object> p, String k, long def) {
        String v = str(p, k, null);
        if (v == null) {
            return def;
        }
        try {
            long n = Long.parseLong(v);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PID + ": " + k + " = '" + v + "' is not a positive number");
        }
    }

    @Override
    public NodeKeys nodeKeys() {
        NodeKeys k = keys;
        if (k == null) {
            throw new PkiException("key management is not available: keystore provider '" + configuredType
                    + "' is not registered");
        }
        return k;
    }

    @Override
    public ClusterCa openClusterCa(Path dir) {
        return openClusterCa(dir, null);
    }

    @Override
    public ClusterCa openClusterCa(Path dir, CaStateStore state) {
        nodeKeys(); // available, or the reason why not
        return new ClusterCa(settings.withDir(dir), provider, state);
    }

    @Override
    public String cluster() {
        return nodeKeys().cluster();
    }

    @Override
    public boolean isJoined() {
        NodeKeys k = keys;
        return k != null && k.isJoined();
    }

    @Override
    public Optional<Credentials> nodeCredentials() {
        return isJoined() ? Optional.of(nodeKeys().channelCredentials()) : Optional.empty();
    }

    @Override
    public List<X509Certificate> trustAnchors() {
        return isJoined() ? nodeKeys().trustAnchors() : List.of();
    }

    @Override
    public List<X509CRL> crls() {
        return isJoined() ? nodeKeys().crls() : List.of();
    }

    @Override
    public boolean updateCrl(X509CRL crl) {
        return nodeKeys().updateCrl(crl);
    }

    @Override
    public List<X509Certificate> issueProcessCertificate(PublicKey key, int scid, Duration ttl) {
        return nodeKeys().issueProcessCertificate(key, scid, ttl);
    }

    @Override
    public ProcessCredentials issueProcessCredentials(int scid, Duration ttl) {
        return nodeKeys().issueProcessCredentials(scid, ttl);
    }

    @Override
    public List<CertificateStatus> renewalStatus() {
        return isJoined() ? nodeKeys().status() : List.of();
    }
}
