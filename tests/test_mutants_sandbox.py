"""Tests that kill mutmut survivors in the sandbox code (MUTATION.md): literal expected values at each boundary."""
