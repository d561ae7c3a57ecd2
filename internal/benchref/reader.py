# benchref's openpyxl reader: reads workbook paths from standard input, one a line, and for each
# visits every value of every row of every sheet (read-only mode), answering "ok\t<cells>" or
# "err\t<message>" on one line. "ready" is printed once openpyxl is imported.
import sys

import openpyxl

sys.stdout.write("ready\n")
sys.stdout.flush()
for line in sys.stdin:
    path = line.rstrip("\n")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        n = 0
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if v is not None:
                        n += 1
        wb.close()
        sys.stdout.write("ok\t%d\n" % n)
    except Exception as e:  # the Go side reports it, naming the file
        msg = ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")
        sys.stdout.write("err\t%s\n" % msg)
    sys.stdout.flush()
