"""nbgrader configuration: this repository is an nbgrader course.

solutions/<assignment>/ holds the instructor notebooks (the source); `nbgrader generate_assignment`
writes the student versions to course/<assignment>/. The gradebook is nbgrader's default
SQLite file, gradebook.db, at the root (private, and ignored by git).
"""
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"

# Grading a submission: each cell gets 60 s, then the kernel is interrupted and the cell
# scores zero; the other cells and the other students are graded as usual.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# Plain one-line errors in graded notebooks: IPython's verbose tracebacks quote the lines
# around the error, which in a check cell would include the hidden tests.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]

# A student who deletes or edits a check cell gets it back, and it is graded.
c.OverwriteCells.add_missing_cells = True

# A submission that prints a flood of output is cut short instead of filling the disk.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 50

# Feedback shows the visible tests and the scores, never the hidden tests' code
# (left alone, nbgrader copies hidden test cells verbatim into the feedback: nbgrader#917).
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]
