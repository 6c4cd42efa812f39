"""hfx.compat.events: pyhf's event registry (pyhf.events), which pyhf code and its test fixtures touch:
hfx fires no events, so the registry stays empty."""
__events = {}
__disabled_events = set()


def subscribe(event):
    def __decorator(func):
        __events.setdefault(event, []).append(func)
        return func
    return __decorator


def trigger(event):
    for func in __events.get(event, []):
        func()


def disable(event):
    __disabled_events.add(event)


def enable(event):
    __disabled_events.discard(event)


def register(event):
    def _register(func):
        return func
    return _register
