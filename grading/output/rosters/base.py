"""What every LMS's roster does: read rows, match them to hand-ins, name students, write the import file."""


class Roster:
    """A class list of one LMS: its ``columns`` and student ``rows`` (dicts)."""

    EXPORT = ""  # where the instructor gets the file, for messages
    REQUIRED = ()  # the columns that tell this LMS's roster, and that the kit reads

    def __init__(self, columns, rows):
        self.columns, self.rows = columns, rows

    @classmethod
    def missing(cls, columns):
        """The REQUIRED columns not among ``columns``: none for this LMS's roster."""
        return [column for column in cls.REQUIRED if column not in columns]

    @classmethod
    def is_student(cls, row):
        """Whether ``row`` is a student's (not a header or points row)."""
        raise NotImplementedError

    @property
    def import_file(self):
        return f"{type(self).__name__.lower()}.csv"

    def key(self, row, ids):
        """The student id of a row's hand-in, among the hand-ins' ``ids``."""
        raise NotImplementedError

    def name(self, row):
        """``(first name, last name)`` of a row."""
        raise NotImplementedError

    def write(self, writer, by_id):
        """Write the import file's rows with ``writer`` (a csv writer); ``by_id``: the grades' students by id,
        each with ``total`` filled in only when ``status`` is ``graded``."""
        raise NotImplementedError

    @staticmethod
    def total(student):
        """The total to import for ``student``, or None while it is not fully graded."""
        return student["total"] if student["status"] == "graded" else None
