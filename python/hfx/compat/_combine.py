"""Workspace.combine with pyhf 0.7.6's semantics (pyhf's workspace._join_*): the join modes
"none" (no name in common allowed), "outer" (items equal in both kept once; the same name with
different content is an error), "left outer" / "right outer" (that side's item wins on a name
clash, silently), and merge_channels (channels of one name joined sample by sample)."""
import collections
import copy
import logging

from ..exceptions import InvalidWorkspaceOperation

VALID_JOINS = ["none", "outer", "left outer", "right outer"]


def join_items(join, left_items, right_items, key="name", deep_merge_key=None):
    """The items of both sides as join says: the primary side (the right one for "right outer") first,
    then each secondary item that the join keeps; with deep_merge_key, items of one name have their
    deep_merge_key lists joined ("left outer") instead."""
    primary, secondary = (right_items, left_items) if join == "right outer" else (left_items, right_items)
    out = copy.deepcopy(primary)
    names = [item[key] for item in out]
    for item in secondary:
        clash = item[key] in names
        if clash and deep_merge_key is not None:
            target = out[names.index(item[key])]
            target[deep_merge_key] = join_items("left outer", target[deep_merge_key], item[deep_merge_key])
            continue
        keep = {"none": True, "outer": item not in primary}.get(join, not clash)
        if keep:
            out.append(copy.deepcopy(item))
    return out


def _duplicates(items):
    return [name for name, n in collections.Counter(i["name"] for i in items).items() if n > 1]


def _check(join, what, left, right, joined):
    """pyhf's rules: "none" allows no common name; "outer" no name twice after the join."""
    if join == "none":
        common = {i["name"] for i in left} & {i["name"] for i in right}
        if common:
            raise InvalidWorkspaceOperation(f"Workspaces cannot have any {what} in common with the same name: "
                                            f"{common}. You can also try a different join operation: {VALID_JOINS}.")
    elif join == "outer":
        dup = _duplicates(joined)
        if dup:
            raise InvalidWorkspaceOperation(f"Workspaces cannot have {what} in common with incompatible structure: "
                                            f"{dup}. You can also try a different join operation: {VALID_JOINS}.")


def join_parameter_configs(measurement_name, left_parameters, right_parameters):
    joined = join_items("outer", left_parameters, right_parameters)
    dup = _duplicates(joined)
    if dup:
        raise InvalidWorkspaceOperation(f"Workspaces cannot have a measurement ({measurement_name}) with incompatible "
                                        f"parameter configs: {dup}. You can also try a different join operation: "
                                        f"{VALID_JOINS}.")
    return joined


def join_measurements(join, left, right):
    joined = join_items(join, left, right)
    if join == "none":
        _check(join, "measurements", left, right, joined)
        return joined
    if join != "outer":
        return joined
    by_name = {}
    for m in joined:
        by_name.setdefault(m["name"], []).append(m)
    bad_poi = [name for name, ms in by_name.items() if len({m["config"]["poi"] for m in ms}) > 1]
    if bad_poi:
        raise InvalidWorkspaceOperation(f"Workspaces cannot have the same measurements with incompatible POI: {bad_poi}.")
    out = []
    for name, ms in by_name.items():
        if len(ms) == 1:
            out.append(ms[0])
            continue
        params = join_parameter_configs(name, *(m["config"]["parameters"] for m in ms))
        out.append({"name": name, "config": {"poi": ms[0]["config"]["poi"], "parameters": params}})
    return out


def combine(cls, left, right, join="none", merge_channels=False):
    if join not in VALID_JOINS:
        raise ValueError(f"Workspaces must be joined using one of the valid join operations ({VALID_JOINS}); not {join}")
    if merge_channels and join not in ("outer", "left outer", "right outer"):
        raise ValueError("You can only merge channels using the 'outer', 'left outer', or 'right outer' join "
                         f"operations; not {join}")
    if join in ("left outer", "right outer"):
        logging.getLogger(__name__).warning("You are using an unsafe join operation. This will silence exceptions "
                                            "that might be raised during a normal 'outer' operation.")
    if left["version"] != right["version"]:
        raise InvalidWorkspaceOperation(f"Workspaces of different versions cannot be combined: {left['version']} != "
                                        f"{right['version']}")
    channels = join_items(join, left["channels"], right["channels"], deep_merge_key="samples" if merge_channels else None)
    _check(join, "channels", left["channels"], right["channels"], channels)
    observations = join_items(join, left["observations"], right["observations"])
    _check(join, "observations", left["observations"], right["observations"], observations)
    measurements = join_measurements(join, left["measurements"], right["measurements"])
    return cls({"channels": channels, "measurements": measurements, "observations": observations,
                "version": left["version"]})
