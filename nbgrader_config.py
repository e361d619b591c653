"""nbgrader configuration: this repository is an nbgrader course.

solutions/<assignment>/ holds the instructor notebooks (the source); `nbgrader generate_assignment`
writes the student versions to course/<assignment>/. The gradebook is nbgrader's default
SQLite file, gradebook.db, at the root (private, and ignored by git).
"""
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from bplib.grading.nbgrader_judge import JudgeSubmission

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "backprop"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"

# Grading a submission: the judge (bplib/grading/judge.py) replaces nbgrader's Execute. Each
# submission runs in a bubblewrap sandbox of its own; the judge, outside it, runs the checks
# of the *released* check cells and writes their outputs, which SaveAutoGrades scores. The
# setup and check cells run as released, whatever the submission did to them; nothing the
# submission prints counts. OverwriteCells and CheckCellMetadata are left out: the judge
# rebuilds the notebook from the release itself, and nbgrader's two would stop at edited
# metadata (a cell marked as graded) and fail the whole submission.
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec]
c.Autograde.autograde_preprocessors = [JudgeSubmission, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties]
# Each cell, and each check, may use 60 s of CPU time (load on the machine does not count),
# then scores zero; the other cells and the other students are graded as usual.
c.JudgeSubmission.timeout = 60

# A submission that prints a flood of output is cut short instead of filling the disk.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 50

# Feedback shows the visible tests and the scores, never the hidden tests' code
# (left alone, nbgrader copies hidden test cells verbatim into the feedback: nbgrader#917).
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]
