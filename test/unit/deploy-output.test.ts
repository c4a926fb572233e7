import { describe, expect, it } from "vitest";

import { failureReason } from "../../entrypoint/deploy-output.js";

describe("failureReason", () => {
  it("names the script and the exception of a flow file that does not compile", () => {
    expect(failureReason([
      "Traceback (most recent call last):",
      "prefect.exceptions.ScriptError: Script at 'flows/broken.py' encountered an exception: " +
        "SyntaxError('invalid syntax')",
      "  File \"<unknown>\", line 2",
      "SyntaxError: invalid syntax",
      "An exception occurred.",
    ])).toBe("flows/broken.py: SyntaxError: invalid syntax");
  });

  it("explains a missing work pool in a few words", () => {
    expect(failureReason(["This deployment configuration references work pool 'gpu' which " +
      "does not exist. This means no worker will be able to pick up its runs."]))
      .toBe("work pool gpu does not exist on the server");
  });

  it("adds the field and the rule of a validation error the server's schema raised", () => {
    expect(failureReason([
      "Traceback (most recent call last):",
      "prefect.deployments.runner.DeploymentApplyError: Error while applying deployment: " +
        "1 validation error for DeploymentCreate",
      "name",
      "  String should match pattern '^[^/%&><]*$' [type=string_pattern_mismatch, " +
        "input_value='a%b', input_type=str]",
      "    For further information visit https://errors.pydantic.dev/2.12/v/string_pattern",
      "An exception occurred.",
    ])).toBe("DeploymentApplyError: Error while applying deployment: 1 validation error for " +
      "DeploymentCreate: name: String should match pattern '^[^/%&><]*$'");
  });

  it("falls back to the last line Prefect printed", () => {
    expect(failureReason(["", "Something unexpected happened", ""]))
      .toBe("Something unexpected happened");
    expect(failureReason([])).toBe("prefect deploy printed nothing");
  });
});
