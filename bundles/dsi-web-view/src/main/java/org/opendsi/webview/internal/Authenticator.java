package org.opendsi.webview.internal;

import java.util.Optional;
import java.util.Set;

/** Checks a user name and password; the user's roles when they are right, empty when not. */
interface Authenticator {

    Optional<Set<String>> login(String user, char[] password);
}
