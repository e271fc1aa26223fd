package org.opendsi.itests;

import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.inject.Inject;

import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.options.extra.VMOption;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.apache.karaf.features.BootFinished;

/**
 * Base of every Pax Exam test: boots the distribution this build produced (not a stock Karaf),
 * with free ports, pax-url pointed at the build's local repository, and the Java 17 module
 * options bin/karaf would add.
 */
public abstract class DsiTestSupport {

    @Inject
    protected BundleContext bundleContext;

    @Inject
    protected SessionFactory sessionFactory;

    /** Waits for the boot features (DSI's included) to be installed before a test runs. */
    @Inject
    protected BootFinished bootFinished;

    @Configuration
    public Option[] config() {
        String distribution = System.getProperty("dsi.distribution");
        String karafVersion = System.getProperty("karaf.version");
        String repo = System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository");
        List<Option> options = new ArrayList<>(List.of(
                karafDistributionConfiguration()
                        .frameworkUrl("file:" + new File(distribution).getAbsolutePath())
                        .karafVersion(karafVersion)
                        .name("DSI on Karaf")
                        .unpackDirectory(new File("target/exam"))
                        .useDeployFolder(false),
                configureConsole().ignoreLocalConsole(),
                logLevel(LogLevel.WARN),
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", repo),
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.defaultLocalRepoAsRemote", "true"),
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", Integer.toString(freePort())),
                // A node installs dsi-metrics right after its boot; here that install would race with the
                // test probe Pax Exam installs at the same moment (seen: the probe lost its wiring,
                // ClassNotFoundException for javax.security.auth.Subject). Tests install it when they
                // need it (MetricsIT); the demo and the process tests keep the post-boot install.
                editConfigurationFilePut("etc/org.opendsi.node.cfg", "metrics", "false"),
                // /metrics and the web view: a free port
                editConfigurationFilePut("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", Integer.toString(freePort())),
                // the test Karaf must never attach kernel programs to this machine
                editConfigurationFilePut("etc/org.opendsi.dsm.cfg", "enabled", "false")));
        // What bin/karaf adds on Java 9+; without it the specs locator is missing (KARAF-NOTES.md).
        String[] java17 = {
            "--add-reads=java.xml=java.logging",
            "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
            "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
            "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
            "--add-opens", "java.base/java.security=ALL-UNNAMED",
            "--add-opens", "java.base/java.net=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-opens", "java.base/java.util=ALL-UNNAMED",
            "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
            "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
            "--add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED",
            "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.sasl/com.sun.security.sasl=ALL-UNNAMED",
            "--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED",
            "-classpath", "lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*",
        };
        for (String o : java17) {
            options.add(new VMOption(o));
        }
        // The distribution's boot features as a stage of their own: Pax Exam appends its features to
        // featuresBoot, so its remote bundle context starts only after DSI's deployment (with its
        // refreshes) is complete; installed during it, the probe was once refused ("Resolver hook
        // prevented resolution").
        String boot = bootFeatures(new File(distribution));
        if (boot != null) {
            options.add(editConfigurationFilePut("etc/org.apache.karaf.features.cfg", "featuresBoot", "(" + boot + ")"));
        }
        if (Boolean.getBoolean("dsi.itest.keep")) {   // -Ddsi.itest.keep=true: keep target/exam/* for diagnosis
            options.add(org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder());
        }
        options.addAll(List.of(extraOptions()));
        return options.toArray(new Option[0]);
    }

    /**
     * Options that attach the real kernel DSM (SnID 7) to a cgroup subtree and pin directory named
     * by tag, owned by the test alone and removed when Karaf stops; tag is handed to the container
     * as the system property dsi.itest.tag.
     */
    protected static List<Option> realDsmOptions(String tag) {
        String cgroupBase = java.nio.file.Files.isDirectory(java.nio.file.Path.of("/sys/fs/cgroup/unified"))
                ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
        return List.of(
                editConfigurationFilePut("etc/system.properties", "dsi.itest.tag", tag),
                editConfigurationFilePut("etc/org.opendsi.dsm.cfg", "enabled", "true"),
                editConfigurationFilePut("etc/org.opendsi.dsm.cfg", "snid", "7"),
                editConfigurationFilePut("etc/org.opendsi.dsm.cfg", "cgroup.root", cgroupBase + "/" + tag),
                editConfigurationFilePut("etc/org.opendsi.dsm.cfg", "pin.dir", "/sys/fs/bpf/" + tag),
                editConfigurationFilePut("etc/org.opendsi.dsm.cfg", "detach.on.stop", "true"));
    }

    /** featuresBoot of the distribution archive (a .tar.gz), or null if it cannot be read. */
    static String bootFeatures(File archive) {
        try (java.io.InputStream in = new java.util.zip.GZIPInputStream(new java.io.FileInputStream(archive))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
                String name = new String(header, 0, 100, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
                String sizeField = new String(header, 124, 12, java.nio.charset.StandardCharsets.US_ASCII).replace("\0", "").trim();
                long size = sizeField.isEmpty() ? 0 : Long.parseLong(sizeField, 8);
                long padded = (size + 511) / 512 * 512;
                if (name.endsWith("/etc/org.apache.karaf.features.cfg")) {
                    java.util.Properties p = new java.util.Properties();
                    p.load(new java.io.ByteArrayInputStream(in.readNBytes((int) size)));
                    String v = p.getProperty("featuresBoot");
                    return v == null || v.isBlank() ? null : v.trim();
                }
                in.skipNBytes(padded);
            }
        } catch (java.io.IOException | RuntimeException e) {
            System.out.println("featuresBoot not read from " + archive + ": " + e);
        }
        return null;
    }

    // ------------------------------------------------------------------ shared by the service tests

    /** The dsi:services --no-format row of type, columns separated by one space, and one at each end. */
    protected String serviceLine(String type) {
        String all;
        try {
            all = execute("dsi:services --no-format");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        for (String l : all.split("\\R")) {
            if (l.trim().split("\\s+")[0].equals(type)) {
                return " " + l.trim().replaceAll("\\s+", " ") + " ";
            }
        }
        throw new AssertionError("no line for " + type + " in\n" + all);
    }

    protected Bundle bundle(String bsn) {
        for (Bundle b : bundleContext.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    /** Sets key = value of PID as an operator's config:property-set does (fileinstall writes it to etc/PID.cfg). */
    protected static void editCfg(String pid, String key, String value) throws Exception {
        editCfg(pid, java.util.Map.of(key, value));
    }

    /**
     * Several keys of one PID in a single update: one configuration event, one write-back to etc/ by
     * fileinstall. Two updates in a row give fileinstall two write-backs to interleave with its polling
     * of the file, a window in which it can re-apply the first one over the second (CI once saw
     * AuthKeysLifecycleIT's moved socket path undone that way).
     */
    protected static void editCfg(String pid, java.util.Map<String, String> changes) throws Exception {
        // Through ConfigurationAdmin, as config:property-set does; fileinstall then writes etc/PID.cfg.
        // Writing the file here raced with fileinstall's write-back of the previous change (it re-reads
        // the file when that change's event arrives and saves the older value over a newer edit): CI
        // once saw a label removal lost that way.
        org.osgi.framework.BundleContext ctx = org.osgi.framework.FrameworkUtil.getBundle(DsiTestSupport.class)
                .getBundleContext();
        org.osgi.framework.ServiceReference<org.osgi.service.cm.ConfigurationAdmin> ref =
                ctx.getServiceReference(org.osgi.service.cm.ConfigurationAdmin.class);
        try {
            org.osgi.service.cm.Configuration c = ctx.getService(ref).getConfiguration(pid, "?");
            java.util.Dictionary<String, Object> props = c.getProperties() == null ? new java.util.Hashtable<>()
                    : c.getProperties();
            changes.forEach(props::put);
            c.update(props);
        } finally {
            ctx.ungetService(ref);
        }
    }

    /** A condition to wait for; an exception or assertion error counts as "not yet". */
    protected interface Check {
        boolean ok() throws Exception;
    }

    /** Waits up to 30 s for cond; fails naming what it waited for and the last error seen. */
    protected static void await(String what, Check cond) throws InterruptedException {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        Throwable last = null;
        while (true) {
            boolean ok;
            try {
                ok = cond.ok();
            } catch (Exception | AssertionError e) {
                last = e;
                ok = false;
            }
            if (ok) {
                return;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what + (last == null ? "" : " (last error: " + last + ")"));
            }
            Thread.sleep(200);
        }
    }

    /** Options a test class adds to (or overrides in) the common configuration. */
    protected Option[] extraOptions() {
        return new Option[0];
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs a shell command as an operator would type it and returns what it printed: as the logged-in
     * user of an enclosing {@link #executeAs}, else as an administrator (the dsi: commands are guarded
     * by Karaf's command ACL, which shows a session without a user none of them).
     */
    protected String execute(String command) throws Exception {
        return execute(command, new ByteArrayOutputStream());
    }

    /** The roles of the administrator created at a node's first start (_g_:admingroup). */
    protected static final String[] ADMIN_ROLES = {"admin", "manager", "viewer", "systembundles", "ssh"};

    /** Runs {@code action} as a logged-in user with these roles (Karaf's command guard reads the Subject). */
    protected static <T> T as(String user, String[] roles, java.util.concurrent.Callable<T> action) throws Exception {
        javax.security.auth.Subject subject = new javax.security.auth.Subject();
        subject.getPrincipals().add(new org.apache.karaf.jaas.boot.principal.UserPrincipal(user));
        for (String r : roles) {
            subject.getPrincipals().add(new org.apache.karaf.jaas.boot.principal.RolePrincipal(r));
        }
        try {
            return javax.security.auth.Subject.doAs(subject, (java.security.PrivilegedExceptionAction<T>) action::call);
        } catch (java.security.PrivilegedActionException e) {
            throw e.getException();
        }
    }

    /** Runs a command as a user with one role; a refusal is returned as "ERROR: ..." text. */
    protected String executeAs(String role, String command) throws Exception {
        try {
            return as("it-" + role, new String[] {role}, () -> execute(command));
        } catch (Exception e) {
            return "ERROR: " + e.getMessage();
        }
    }

    private static boolean loggedIn() {
        @SuppressWarnings("removal")
        javax.security.auth.Subject s = javax.security.auth.Subject.getSubject(java.security.AccessController.getContext());
        return s != null;
    }

    /**
     * Runs a shell command, its output going to bytes as it is printed (another thread may watch it,
     * e.g. for a long-running command to be ready), and returns all it printed.
     */
    protected String execute(String command, ByteArrayOutputStream bytes) throws Exception {
        if (!loggedIn()) {
            return as("it-admin", ADMIN_ROLES, () -> execute(command, bytes));
        }
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Session session = sessionFactory.create(System.in, out, out);
        try {
            session.execute(command);
        } finally {
            out.flush();
            session.close();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Runs a command that must fail; returns its output plus the error message. */
    protected String executeFailing(String command) throws Exception {
        if (!loggedIn()) {
            return as("it-admin", ADMIN_ROLES, () -> executeFailing(command));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Session session = sessionFactory.create(System.in, out, out);
        try {
            session.execute(command);
        } catch (Exception expected) {
            out.flush();
            return bytes.toString(StandardCharsets.UTF_8) + "\nERROR: " + expected.getMessage();
        } finally {
            session.close();
        }
        throw new AssertionError("command did not fail: " + command + "\n" + bytes.toString(StandardCharsets.UTF_8));
    }

    /** A sample policy as shipped in the distribution's etc/dsi/. */
    protected static String sample(String name) {
        return new File(System.getProperty("karaf.etc"), "dsi/" + name).getAbsolutePath();
    }
}
