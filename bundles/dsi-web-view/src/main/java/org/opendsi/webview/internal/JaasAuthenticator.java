package org.opendsi.webview.internal;

import java.security.Principal;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

import org.apache.karaf.jaas.boot.principal.RolePrincipal;

/**
 * Logs in against a Karaf JAAS realm (the console's, {@code karaf}: etc/users.properties) as Karaf's own
 * SSH and HTTP authenticators do: a {@link LoginContext} on the realm with name and password callbacks,
 * the thread context class loader set to this bundle's loader meanwhile (JAAS loads Karaf's
 * ProxyLoginModule through it), and the roles read from the subject's {@link RolePrincipal}s.
 */
final class JaasAuthenticator implements Authenticator {

    private final String realm;

    JaasAuthenticator(String realm) {
        this.realm = realm;
    }

    @Override
    public Optional<Set<String>> login(String user, char[] password) {
        Subject subject = new Subject();
        Thread t = Thread.currentThread();
        ClassLoader tccl = t.getContextClassLoader();
        t.setContextClassLoader(JaasAuthenticator.class.getClassLoader());
        try {
            LoginContext lc = new LoginContext(realm, subject, callbacks -> {
                for (Callback c : callbacks) {
                    if (c instanceof NameCallback n) {
                        n.setName(user);
                    } else if (c instanceof PasswordCallback p) {
                        p.setPassword(password);
                    } else {
                        throw new UnsupportedCallbackException(c);
                    }
                }
            });
            lc.login();
            Set<String> roles = new HashSet<>();
            for (Principal p : subject.getPrincipals()) {
                if (p instanceof RolePrincipal || p.getClass().getSimpleName().equals("RolePrincipal")) {
                    roles.add(p.getName());
                }
            }
            try {
                lc.logout();   // the view keeps its own session; the JAAS subject is not needed any more
            } catch (LoginException ignored) {
                // nothing held
            }
            return Optional.of(roles);
        } catch (LoginException e) {
            return Optional.empty();
        } finally {
            t.setContextClassLoader(tccl);
        }
    }
}
