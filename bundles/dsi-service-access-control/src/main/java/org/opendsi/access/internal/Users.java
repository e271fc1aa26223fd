package org.opendsi.access.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** User name -> uid through /etc/passwd (a numeric name is the uid itself). */
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
}
