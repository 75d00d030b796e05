"""What the lab's tools share."""
import signal


def stop_requested():
    """Returns a function that is True once SIGTERM or SIGINT has arrived: the tools end cleanly."""
    state = {"stop": False}

    def on_signal(_sig, _frame):
        state["stop"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return lambda: state["stop"]
