package org.opendsi.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Arrays;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.opendsi.api.auth.AuthenticationService;
import org.opendsi.auth.client.AuthClient;
import org.opendsi.keys.KeyManagementService;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/** The authentication service in the built distribution: registered with its properties, listening on its socket. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AuthenticationServiceIT extends DsiTestSupport {

    @Test
    public void registeredWithPropertiesAndListening() throws Exception {
        ServiceTracker<AuthenticationService, AuthenticationService> t = new ServiceTracker<>(bundleContext,
                bundleContext.createFilter("(&(objectClass=" + AuthenticationService.class.getName()
                        + ")(dsi.service.type=authentication))"), null);
        t.open();
        try {
            AuthenticationService auth = t.waitForService(30_000);
            assertNotNull("no AuthenticationService with dsi.service.type=authentication", auth);
            ServiceReference<AuthenticationService> ref = t.getServiceReference();
            Bundle b = Arrays.stream(bundleContext.getBundles())
                    .filter(x -> "dsi-service-authentication".equals(x.getSymbolicName())).findFirst()
                    .orElseThrow(() -> new AssertionError("dsi-service-authentication not installed"));
            assertEquals(b.getVersion().toString(), ref.getProperty("dsi.service.version"));

            Path socket = Path.of(System.getProperty("karaf.data"), "dsi", "auth.sock");
            assertEquals(socket.toAbsolutePath().normalize().toString(),
                    Path.of(auth.socketPath()).toAbsolutePath().normalize().toString());
            PosixFileAttributes a = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            assertTrue(socket + " is not a socket", a.isOther());

            // embedded node (the default): the local root CA issued this node's CA, so certificates can be issued
            ServiceTracker<KeyManagementService, KeyManagementService> km = new ServiceTracker<>(bundleContext,
                    KeyManagementService.class, null);
            km.open();
            try {
                KeyManagementService keys = km.waitForService(30_000);
                assertNotNull("no KeyManagementService", keys);
                long end = System.currentTimeMillis() + 30_000;
                while (!keys.isJoined() && System.currentTimeMillis() < end) {
                    Thread.sleep(200);
                }
                assertTrue("the embedded node has no node CA", keys.isJoined());
            } finally {
                km.close();
            }

            // the Karaf JVM itself is outside every security context: a clear refusal
            long pid = ProcessHandle.current().pid();
            try {
                AuthClient.request(socket);
                fail("a process outside any context got a certificate");
            } catch (AuthClient.RefusedException e) {
                assertTrue(e.getMessage(), e.getMessage().startsWith("process " + pid + " is not in a DSI security context"));
            }
        } finally {
            t.close();
        }
    }
}
