/** describeDeath: the cause a restarted kernel reports, from the dead process's exit and stderr. */
import { describeDeath } from "../../kernel/nanny";
import { tensorBudgetBytes } from "../../kernel/engine";
import * as os from "os";

describe("describeDeath", () => {
  test("Node's fatal heap message names the heap and the limit", () => {
    const tail = "<--- JS stacktrace --->\n\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n 1: 0xb78db3 node::OOMErrorHandler\n";
    expect(describeDeath(null, "SIGABRT", tail)).toMatch(/^the JavaScript heap ran out of memory \(limit \d+ MB, the kernelspec's --max-old-space-size\)$/);
  });
  test("a native allocation failure names the tensor backend", () => {
    expect(describeDeath(null, "SIGABRT", "terminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc\n")).toMatch(/tensor backend could not allocate memory .*SIGABRT/);
  });
  test("SIGKILL names the OOM killer as the likely cause", () => {
    expect(describeDeath(null, "SIGKILL", "")).toMatch(/killed \(SIGKILL\).*OOM killer/);
  });
  test("anything else gives the signal or code and the last line that is not a native frame", () => {
    expect(describeDeath(null, "SIGSEGV", "something broke\n 1: 0x12 frame\n")).toBe("it ended on SIGSEGV (last message: something broke)");
    expect(describeDeath(3, null, "")).toBe("it exited with code 3");
  });
  test("TensorFlow's start-up notices are not taken for the last message", () => {
    const tail =
      "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n" +
      "I0000 00:00:1796190630.066800   16204 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.\n";
    expect(describeDeath(null, "SIGSEGV", tail)).toBe("it ended on SIGSEGV");
    expect(describeDeath(null, "SIGSEGV", "cannot open model.gguf\n" + tail)).toBe("it ended on SIGSEGV (last message: cannot open model.gguf)");
  });
});

describe("tensorBudgetBytes", () => {
  test("ATTNLAB_TENSOR_BUDGET_MB in megabytes", () => {
    expect(tensorBudgetBytes({ ATTNLAB_TENSOR_BUDGET_MB: "64" })).toBe(64 * 2 ** 20);
  });
  test("a value that is not a positive number is an error naming the variable", () => {
    expect(() => tensorBudgetBytes({ ATTNLAB_TENSOR_BUDGET_MB: "lots" })).toThrow(/ATTNLAB_TENSOR_BUDGET_MB must be a positive number of megabytes, got "lots"/);
    expect(() => tensorBudgetBytes({ ATTNLAB_TENSOR_BUDGET_MB: "-5" })).toThrow(/ATTNLAB_TENSOR_BUDGET_MB/);
  });
  test("the default is at most half the physical memory and at least 1 GB", () => {
    const b = tensorBudgetBytes({});
    expect(b).toBeGreaterThanOrEqual(2 ** 30);
    expect(b).toBeLessThanOrEqual(Math.max(2 ** 30, os.totalmem() / 2));
  });
});
