/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.util.List;

/**
 * What the verification pass found: the orders the run created, re-read after it.
 *
 * @param created orders the run created (accepted writes)
 * @param checked orders re-read
 * @param missing re-read and not found
 * @param different found but not as sent
 * @param unreadable could not be read (the API failed)
 * @param problems the first few problems, described
 */
public record Verification(long created, long checked, long missing, long different, long unreadable,
                           List<String> problems) {
    /**
     * Whether every order re-read was found as sent.
     *
     * @return {@code true} if none was missing, different or unreadable
     */
    public boolean passed() {
        return missing == 0 && different == 0 && unreadable == 0;
    }
}
