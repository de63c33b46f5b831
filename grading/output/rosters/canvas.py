"""Canvas: its gradebook export (Grades, Export) in, ``canvas.csv`` out: the five student columns, the
points row, and one column named as the export names the assignment."""
import logging
import re

from .base import Roster

log = logging.getLogger(__name__)
CANVAS_STUDENT = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_KEY = "SIS Login ID"  # the hand-in's student id, unless it is Canvas' user ID
CANVAS_ASSIGNMENT = "Lung segmentation"


class Canvas(Roster):
    EXPORT = "Canvas' gradebook export (Grades, Export, CSV)"
    REQUIRED = CANVAS_STUDENT

    @classmethod
    def is_student(cls, row):
        return bool(row[CANVAS_KEY] or row["ID"]) and not row["Student"].strip().startswith("Points Possible")

    def key(self, row, ids):
        """Canvas' user ``ID`` when a hand-in is named by it (its downloads are), else ``SIS Login ID``."""
        return row["ID"] if row["ID"] in ids else (row[CANVAS_KEY] or row["ID"])

    def name(self, row):
        """Canvas writes ``Last, First``."""
        last, _, first = row["Student"].partition(", ")
        return first.strip(), last.strip()

    def write(self, writer, by_id):
        possible = max((s["max_score"] for s in by_id.values() if s["max_score"] != ""), default="")
        writer.writerow([*CANVAS_STUDENT, self._assignment_column()])
        writer.writerow(["    Points Possible", "", "", "", "", possible])
        for row in self.rows:
            total = self.total(by_id[self.key(row, by_id)])
            writer.writerow([*(row[column] for column in CANVAS_STUDENT), "" if total is None else total])

    def _assignment_column(self):
        """The export's column of this assignment, ``Lung segmentation (<Canvas id>)``; without one,
        ``Lung segmentation``, which Canvas imports as a new assignment (said in a warning)."""
        found = [column for column in self.columns if re.fullmatch(rf"{CANVAS_ASSIGNMENT} \(\d+\)", column.strip())]
        if len(found) == 1:
            return found[0]
        log.warning("the roster has %s column named '%s (<id>)', so canvas.csv's column '%s' imports as a new "
                    "assignment: export the roster after creating the assignment in Canvas",
                    "more than one" if found else "no", CANVAS_ASSIGNMENT, CANVAS_ASSIGNMENT)
        return CANVAS_ASSIGNMENT
