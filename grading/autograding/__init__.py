"""Autograding: nbgrader's autograde step for a class, one hand-in at a time as a unit of work
(``unit``), on local or Dask workers (``cluster``), with the kit's nbgrader preprocessors."""
