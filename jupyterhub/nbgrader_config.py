"""nbgrader's settings for everyone on the class JupyterHub.

Install as /etc/jupyter/nbgrader_config.py, readable by all (see README.md in this folder).
Every account reads it: the students, the instructors and the grader account that runs the
formgrader. tests/test_class_cycle.py runs a whole class with this file as the global
configuration (with the exchange moved into a temporary folder).
"""
c = get_config()  # noqa: F821 (provided by nbgrader)

# The course. It must equal the course_id of the course repository's nbgrader_config.py and
# the name of the formgrader service in jupyterhub_config.py.
c.CourseDirectory.course_id = "backprop"

# The exchange: the folder through which assignments go out and submissions come back. It
# must exist before the first release, be the same path for every user (on every machine
# or container of the hub) and be writable by everyone: `chmod 777`. nbgrader's own
# permissions keep the submissions apart (README.md, "What the exchange protects").
c.Exchange.root = "/usr/local/share/nbgrader/exchange"

# One course on this hub: students fetch into ~/02-activation-functions/, not into
# ~/backprop/02-activation-functions/. A hub shared by several nbgrader courses sets this
# to True and uses nbgrader's JupyterHubAuthPlugin (README.md, "Several courses").
c.Exchange.path_includes_course = False

# Submissions private to the instructors. nbgrader 0.9 leaves a submission readable by every
# account (files 644, folder 777) and hides it only behind inbound/, which others cannot
# list, and a random folder name. inbound/ is set-group-id, so a submission belongs to the
# group that owns the course's exchange folder: the instructor's group. PrivateSubmit
# narrows it to that group (files 640, folder 770): another student cannot read it even
# knowing its name, and the instructors can still collect and delete it.
import os  # noqa: E402
from stat import S_IRGRP, S_IRUSR, S_IRWXG, S_IRWXU, S_IWUSR  # noqa: E402

from nbgrader.exchange.default.submit import ExchangeSubmit  # noqa: E402


class PrivateSubmit(ExchangeSubmit):
    def copy_files(self):
        super().copy_files()
        submission = os.path.join(self.inbound_path, self.assignment_filename)
        self.set_perms(submission, fileperms=S_IRUSR | S_IWUSR | S_IRGRP, dirperms=S_IRWXU | S_IRWXG)


c.ExchangeFactory.submit = PrivateSubmit
