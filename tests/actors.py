"""An admin at work, as a process of its own (for the concurrency tests): round after round
it marks rooms read, labels them and answers one, through the real command line.

    python tests/actors.py LOGIN ROUNDS SEED
"""

import random
import sys

from typer.testing import CliRunner

from kchat_cli.app import app


def main(login: str, rounds: int, seed: int) -> int:
    runner, rng, failures = CliRunner(), random.Random(seed), 0
    for number in range(rounds):
        listed = runner.invoke(
            app, ["--as", login, "rooms", "list", "--status", "all", "--limit", "0", "-o", "ids"]
        )
        ids = listed.stdout.split()
        if not ids:
            continue
        some = rng.sample(ids, min(5, len(ids)))
        for args in (
            ["rooms", "read", *some],
            ["rooms", "label", *some, "--add", "VIP"],
            ["send", rng.choice(ids), f"{login}의 답변 {number}"],
        ):
            result = runner.invoke(app, ["--as", login, *args])
            if result.exit_code != 0:
                failures += 1
                sys.stderr.write(f"{' '.join(args)}: {result.exit_code} {result.stderr}\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
