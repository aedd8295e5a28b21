/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A fake {@code aws} on a PATH of its own: it logs each call's arguments and answers the n-th call with the n-th
 * scripted line ({@code exit|stdout|stderr}), the last line again once the script runs out. No AWS is involved.
 */
public final class FakeAws {
    private final Path dir;

    /**
     * Writes the fake into a directory.
     *
     * @param dir an empty directory, to be put on the PATH
     * @param answers one {@code exit|stdout|stderr} line per call
     */
    public FakeAws(Path dir, String... answers) {
        this.dir = dir;
        try {
            Files.write(dir.resolve("script"), List.of(answers));
            Path aws = dir.resolve("aws");
            Files.writeString(aws, """
                    #!/bin/sh
                    dir=$(dirname "$0")
                    echo "$*" >>"$dir/calls.log"
                    n=$(wc -l <"$dir/calls.log")
                    line=$(sed -n "${n}p" "$dir/script")
                    [ -n "$line" ] || line=$(tail -n 1 "$dir/script")
                    code=${line%%|*}
                    rest=${line#*|}
                    out=${rest%%|*}
                    err=${rest#*|}
                    [ -z "$out" ] || printf '%s\\n' "$out"
                    [ -z "$err" ] || printf '%s\\n' "$err" >&2
                    exit "$code"
                    """);
            Files.setPosixFilePermissions(aws, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A PATH with the fake first, then the system's tools it needs.
     *
     * @return the PATH
     */
    public String path() {
        return dir + ":/usr/bin:/bin";
    }

    /**
     * The arguments of every call so far, one line each.
     *
     * @return the calls
     */
    public List<String> calls() {
        try {
            Path log = dir.resolve("calls.log");
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
