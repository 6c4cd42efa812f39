"""pyhf.contrib on hfx: `utils.download`, HEPData's likelihood archives fetched and unpacked (pyhf's
`pyhf contrib download`). Needs `requests` (pip install requests)."""
