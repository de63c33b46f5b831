"""Moodle: its grading worksheet (Assignment, View all submissions, Download grading worksheet) in,
``moodle.csv`` out: the same worksheet with the Grade column filled."""
from .base import Roster

MOODLE_COLUMNS = ("Identifier", "Full name", "Grade")  # of the worksheet's columns, those the kit reads or fills
MOODLE_PARTICIPANT = "Participant "


class Moodle(Roster):
    EXPORT = "Moodle's grading worksheet (View all submissions, Download grading worksheet)"
    REQUIRED = MOODLE_COLUMNS

    @classmethod
    def is_student(cls, row):
        return row["Identifier"].startswith(MOODLE_PARTICIPANT)

    def key(self, row, ids):
        """Moodle's participant number, which names the hand-ins of its download."""
        return row["Identifier"].removeprefix(MOODLE_PARTICIPANT).strip()

    def name(self, row):
        """Moodle writes ``First Last``."""
        first, _, last = row["Full name"].strip().rpartition(" ")
        return first, last

    def write(self, writer, by_id):
        writer.writerow(self.columns)
        for row in self.rows:
            total = self.total(by_id[self.key(row, by_id)])
            writer.writerow([row[column] if column != "Grade" or total is None else f"{total:g}"
                             for column in self.columns])
