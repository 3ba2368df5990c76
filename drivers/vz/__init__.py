"""VZ / Zhenshi (臻识) camera protocols: HTTP push (:mod:`.push`) and TCP on port 8131 (:mod:`.tcp`)."""
