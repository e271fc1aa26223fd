package org.opendsi.access.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** User name -> uid through /etc/passwd (a numeric name is the uid itself); group membership through /etc/group. */
final class Users {

    private Users() {
    }

    static Integer uid(String name) {
        if (name.matches("\\d+")) {
            return Integer.parseInt(name);
        }
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[0].equals(name)) {
                    return Integer.parseInt(f[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /**
     * Whether a user whose primary group is {@code primaryGroup} belongs to {@code group}: it is its
     * primary group, or /etc/group lists the user as a member (as login's initgroups would).
     */
    static boolean inGroup(String user, String primaryGroup, String group) {
        if (group.equals(primaryGroup)) {
            return true;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/etc/group"))) {
                String[] f = line.split(":", -1);
                if (f.length > 3 && f[0].equals(group)) {
                    for (String member : f[3].split(",")) {
                        if (member.trim().equals(user)) {
                            return true;
                        }
                    }
                    return false;
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }
}
