package org.opendsi.dsm.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the DSM needs to know about the machine before touching native code.
 *
 * @param osName     os.name
 * @param osArch     os.arch
 * @param euid       effective uid from /proc/self/status, -1 when unknown
 * @param mountsText /proc/self/mounts
 */
public record Platform(String osName, String osArch, int euid, String mountsText) {

    public static Platform current() {
        String mounts = "";
        int euid = -1;
        try {
            mounts = Files.readString(Path.of("/proc/self/mounts"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            // not Linux or no /proc: stays empty
        }
        try {
            euid = effectiveUid(Files.readString(Path.of("/proc/self/status"), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return new Platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""), euid, mounts);
    }

    /** The effective uid (second field of the Uid: line of /proc/PID/status), -1 if absent. */
    static int effectiveUid(String statusText) {
        for (String line : statusText.split("\n")) {
            if (line.startsWith("Uid:")) {
                String[] f = line.substring(4).trim().split("\\s+");
                if (f.length >= 2) {
                    return Integer.parseInt(f[1]);
                }
            }
        }
        return -1;
    }

    public boolean linux() {
        return osName.toLowerCase(Locale.ROOT).startsWith("linux");
    }

    public boolean x86_64() {
        String a = osArch.toLowerCase(Locale.ROOT);
        return a.equals("amd64") || a.equals("x86_64") || a.equals("x86-64") || a.equals("em64t");
    }
}
