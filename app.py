"""Start the Sparring web app: `python app.py` (or `sparring serve`)."""

from simulator.web.app import launch

if __name__ == "__main__":
    launch()
