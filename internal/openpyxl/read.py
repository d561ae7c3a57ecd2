# Reads a workbook the way openpyxl's read-only mode does — trusting each sheet's <dimension> —
# and prints every sheet's declared size and rows as JSON (numbers kept as written).
import json
import sys

import openpyxl

wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
out = []
for ws in wb.worksheets:
    rows = []
    for r in ws.iter_rows(values_only=True):
        row = []
        for v in r:
            if v is None:
                row.append(None)
            elif isinstance(v, bool):
                row.append(v)
            elif isinstance(v, (int, float)):
                row.append({"n": repr(v)})
            elif hasattr(v, "isoformat"):
                row.append(v.isoformat())
            else:
                row.append(str(v))
        rows.append(row)
    out.append({"name": ws.title, "state": ws.sheet_state, "max_row": ws.max_row, "max_column": ws.max_column, "rows": rows})
json.dump(out, sys.stdout, ensure_ascii=False)
