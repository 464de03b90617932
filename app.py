"""Start the Sparring web app: `python app.py [--host HOST] [--port PORT]` (or `sparring serve`).

Host and port, first found wins: --host/--port, SPARRING_HOST/SPARRING_PORT, Gradio's
GRADIO_SERVER_NAME/GRADIO_SERVER_PORT, then 127.0.0.1:7860 (README: Serving a team).
"""

import argparse
import sys


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port: use a whole number from 1 to 65535")
    return int(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python app.py", description="Start the Sparring web app.")
    parser.add_argument("--host", help="Interface (default: $SPARRING_HOST, $GRADIO_SERVER_NAME, 127.0.0.1).")
    parser.add_argument("--port", type=_port, help="Port (default: $SPARRING_PORT, $GRADIO_SERVER_PORT, 7860).")
    args = parser.parse_args(argv)

    from simulator.config import load_settings
    from simulator.errors import SparringError

    try:
        load_settings()  # first: a bad GRADIO_SERVER_PORT is one line, not Gradio's traceback at import
        from simulator.web.app import launch

        launch(host=args.host, port=args.port)
    except SparringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
