/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * CPU stress on the database instance through AWS Systems Manager Run Command, with the AWS CLI.
 *
 * <p>The contract with the infrastructure: the project's stress document takes one parameter,
 * {@code durationSeconds} (an integer), and its stop document none; both are sent to the database instance. A
 * command is not trusted to have started because {@code send-command} returned: its exit status and error output are
 * read, then the invocation is followed ({@code get-command-invocation}) until it is {@code InProgress} or
 * {@code Success}. Any failure state, a non-zero exit, or no progress within {@link #CONFIRM} means the stress did not
 * start, and says why.
 */
final class AwsRunCommand {
    /** How long the invocation may take to reach the instance and start. */
    static final Duration CONFIRM = Duration.ofSeconds(60);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 500;
    private static final Set<String> STARTED = Set.of("InProgress", "Success");
    private static final Set<String> FAILED = Set.of("Failed", "Cancelled", "Cancelling", "TimedOut", "Terminated",
                                                     "Undeliverable", "DeliveryTimedOut", "ExecutionTimedOut",
                                                     "AccessDenied", "InvalidPlatform", "NoInstancesInTag");

    private final DbStress.Aws aws;

    AwsRunCommand(DbStress.Aws aws) {
        this.aws = aws;
    }

    /**
     * The command line that starts the stress, for the plan and the summary.
     *
     * @param seconds how long the stress lasts
     * @return the command line
     */
    List<String> startCommand(long seconds) {
        return List.of(aws.cli(), "ssm", "send-command", "--instance-ids", aws.instanceId(), "--document-name",
                       aws.document(), "--parameters", "durationSeconds=" + seconds, "--output", "text", "--query",
                       "Command.CommandId");
    }

    /**
     * Sends the stress document and waits until the instance runs it.
     *
     * @param seconds how long the stress lasts (the document stops it by itself)
     * @return {@code null} if it runs, else why it did not start
     */
    String start(long seconds) {
        Call sent = call(startCommand(seconds));
        if (sent.exit() != 0) {
            return "aws ssm send-command failed (exit " + sent.exit() + "): " + sent.errorText();
        }
        String commandId = sent.out().strip();
        if (commandId.isEmpty() || commandId.contains(" ")) {
            return "aws ssm send-command returned no command id: '" + commandId + "'";
        }
        long deadline = System.nanoTime() + CONFIRM.toNanos();
        String last = "no status";
        while (true) {
            Call status = call(List.of(aws.cli(), "ssm", "get-command-invocation", "--command-id", commandId,
                                       "--instance-id", aws.instanceId(), "--output", "text", "--query",
                                       "[Status,StatusDetails]"));
            if (status.exit() != 0) {
                // Right after send-command the invocation may not exist yet; anything else is a failure.
                if (!status.err().contains("InvocationDoesNotExist")) {
                    return "aws ssm get-command-invocation " + commandId + " failed (exit " + status.exit() + "): "
                            + status.errorText();
                }
                last = "InvocationDoesNotExist";
            } else {
                String[] parts = status.out().strip().split("\\s+");
                String state = parts[0];
                String details = parts.length > 1 ? parts[1] : "";
                if (STARTED.contains(state)) {
                    return null;
                }
                if (FAILED.contains(state) || FAILED.contains(details)) {
                    return "Run Command " + commandId + " on " + aws.instanceId() + " is " + state
                            + (details.isEmpty() || details.equals(state) ? "" : " (" + details + ")");
                }
                last = state + (details.isEmpty() ? "" : " (" + details + ")");
            }
            if (System.nanoTime() > deadline) {
                return "Run Command " + commandId + " on " + aws.instanceId() + " did not start within "
                        + CONFIRM.toSeconds() + "s: still " + last;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted while waiting for Run Command " + commandId;
            }
        }
    }

    /**
     * Sends the stop document.
     *
     * @return {@code null} if it was accepted, else why not
     */
    String stop() {
        Call sent = call(List.of(aws.cli(), "ssm", "send-command", "--instance-ids", aws.instanceId(),
                                 "--document-name", aws.stopDocument(), "--output", "text", "--query",
                                 "Command.CommandId"));
        return sent.exit() == 0 ? null
                : "aws ssm send-command (stop) failed (exit " + sent.exit() + "): " + sent.errorText();
    }

    private Call call(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command));
        builder.environment().put("PATH", aws.path());
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            CompletableFuture<String> out = read(process.getInputStream());
            CompletableFuture<String> err = read(process.getErrorStream());
            if (!process.waitFor(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Call(-1, "", "no answer within " + CALL_TIMEOUT.toSeconds() + "s");
            }
            return new Call(process.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            return new Call(-1, "", "cannot run " + command.getFirst() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Call(-1, "", "interrupted");
        }
    }

    private static CompletableFuture<String> read(java.io.InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, Thread::startVirtualThread);
    }

    /** One AWS CLI call: its exit status and what it printed. */
    private record Call(int exit, String out, String err) {
        String errorText() {
            String text = err.strip();
            return text.isEmpty() ? "(no error output)" : text.length() > 500 ? text.substring(0, 500) + "..." : text;
        }
    }
}
